package notify

import "slices"

// unit is what one Slack message (and one Chatbot notification) tells:
// one item, or a digest of several.
type unit struct {
	items  []item
	digest bool
}

// units groups items by place and splits each place's items into windows
// of digestWindow from the first one's arrival; a window with more than
// digestThreshold items (and at least two) is one digest, the others are
// one message each. Units come in the order their first item arrived.
func (n *Notifier) units(items []item) []unit {
	byPlace := map[string][]item{}
	var places []string
	for _, it := range items {
		p := it.place()
		if _, ok := byPlace[p]; !ok {
			places = append(places, p)
		}
		byPlace[p] = append(byPlace[p], it)
	}
	var out []unit
	for _, p := range places {
		list := byPlace[p]
		slices.SortStableFunc(list, func(a, b item) int { return a.at().Compare(b.at()) })
		for start := 0; start < len(list); {
			end := start + 1
			for end < len(list) && list[end].at().Sub(list[start].at()) < n.DigestWindow {
				end++
			}
			window := list[start:end]
			if len(window) > n.DigestThreshold && len(window) >= 2 {
				out = append(out, unit{items: window, digest: true})
			} else {
				for _, it := range window {
					out = append(out, unit{items: []item{it}})
				}
			}
			start = end
		}
	}
	slices.SortStableFunc(out, func(a, b unit) int { return a.items[0].at().Compare(b.items[0].at()) })
	return out
}
