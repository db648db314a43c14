// Package arch keeps the layering the code relies on (see
// docs/ARCHITECTURE.md) from eroding one import at a time. Its table
// (layers.go) gives every package of the module a layer; its tests apply
// the layers' rules to the imports, and write the import graph to
// testdata/imports.golden, the map that docs/ARCHITECTURE.md links to.
package arch
