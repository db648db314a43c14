package drift

import (
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"strings"
	"testing"
)

// Every finding is built by newFinding: a Finding literal anywhere else in
// the package is a second constructor, one that can forget a field of the
// public contract.
func TestOneFindingConstructor(t *testing.T) {
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	fset := token.NewFileSet()
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		file, err := parser.ParseFile(fset, name, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range file.Decls {
			fn, ok := d.(*ast.FuncDecl)
			if ok && fn.Name.Name == "newFinding" && fn.Recv == nil {
				continue
			}
			ast.Inspect(d, func(n ast.Node) bool {
				if lit, ok := n.(*ast.CompositeLit); ok {
					if id, ok := lit.Type.(*ast.Ident); ok && id.Name == "Finding" {
						t.Errorf("%s: got a Finding literal, want newFinding (finding.go) to build every finding", fset.Position(lit.Pos()))
					}
				}
				return true
			})
		}
	}
}

func TestNewFindingPlacesTheState(t *testing.T) {
	ev := Event{ID: "e1", Name: "CreateAccessEntry", Source: "eks.amazonaws.com", Account: "1", Region: "r",
		Actor: Actor{ARN: "arn:aws:iam::1:role/a", Type: "AssumedRole", SessionName: "s", SourceIP: "192.0.2.1", UserAgent: "ua"}}
	entry := &AccessEntry{PrincipalARN: "arn:aws:iam::1:role/x"}
	tests := []struct {
		name              string
		op                Op
		wantBefore, after string
	}{
		{"added", OpAdded, "null", `{"principalArn":"arn:aws:iam::1:role/x"}`},
		{"modified", OpModified, "null", `{"principalArn":"arn:aws:iam::1:role/x"}`},
		{"removed", OpRemoved, `{"principalArn":"arn:aws:iam::1:role/x"}`, "null"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFinding(subjectOf(Change{Event: ev, Op: tt.op, Cluster: "prod", Resource: entry}), judgement{Drift: true, Decision: DecisionAlert})
			if string(f.Before) != tt.wantBefore || string(f.After) != tt.after {
				t.Errorf("got before %s after %s, want %s and %s", f.Before, f.After, tt.wantBefore, tt.after)
			}
			if string(f.Expected) != "null" {
				t.Errorf("got expected %s, want null", f.Expected)
			}
			if f.Kind != KindAccessEntry || f.Resource != entry.PrincipalARN || f.Principal != entry.PrincipalARN || f.Cluster != "prod" || f.Change != tt.op {
				t.Errorf("got %+v, want the entry's kind, key, principal, cluster and op", f)
			}
			if f.Actor != ev.Actor.ARN || f.ActorType != ev.Actor.Type || f.ActorSession != "s" || f.SourceIP != "192.0.2.1" || f.UserAgent != "ua" {
				t.Errorf("got actor %q %q %q %q %q, want the event's", f.Actor, f.ActorType, f.ActorSession, f.SourceIP, f.UserAgent)
			}
		})
	}
	t.Run("a finding's subject round-trips", func(t *testing.T) {
		f := newFinding(subjectOf(Change{Event: ev, Op: OpAdded, Cluster: "prod", Resource: entry}), judgement{})
		g := newFinding(subjectOfFinding(f), judgement{})
		if g.ID() != f.ID() || g.Actor != f.Actor || string(g.After) != string(f.After) || g.EventSource != f.EventSource {
			t.Errorf("got %+v, want %+v", g, f)
		}
	})
}
