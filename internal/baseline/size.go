package baseline

import (
	"go.yaml.in/yaml/v3"
)

// Limits on what a baseline may cost to load. A baseline is read on every
// cold start of the detector: a small file that expands to millions of nodes
// through YAML aliases ("billion laughs") must fail fast, not stall it.
const (
	MaxBytes = 16 << 20  // 16 MiB of text
	MaxNodes = 5_000_000 // nodes once aliases are expanded
)

// expandedNodes counts the nodes a document has once every alias is
// replaced by what it names, stopping early past limit.
func expandedNodes(root *yaml.Node, limit int) int {
	weights := map[*yaml.Node]int{}
	var weigh func(n *yaml.Node, depth int) int
	weigh = func(n *yaml.Node, depth int) int {
		if n == nil {
			return 0
		}
		if w, ok := weights[n]; ok {
			return w
		}
		if depth > 10_000 {
			return limit + 1
		}
		w := 1
		if n.Kind == yaml.AliasNode {
			w = weigh(n.Alias, depth+1)
		}
		for _, c := range n.Content {
			w += weigh(c, depth+1)
			if w > limit {
				break
			}
		}
		weights[n] = w
		return w
	}
	return weigh(root, 0)
}
