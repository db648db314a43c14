// Package arch holds no code: its test keeps the layering the code relies
// on (see docs/ARCHITECTURE.md) from eroding one import at a time.
package arch
