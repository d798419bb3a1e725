//go:build noocrad

package builtin

// gplEngines is empty in a build without the GPL engines (-tags noocrad).
var gplEngines = map[string]Plugin{}
