package yamlx

import "gopkg.in/yaml.v3"

// maxAliasChain bounds the aliases Deref follows. A parsed document needs
// one step: YAML gives an alias no properties, so no anchor, and yaml.v3
// refuses "&b *a" as a syntax error; an alias therefore always names a
// node that is not itself an alias. The bound is for node trees built or
// edited in code, where an alias cycle must not hang the decoder.
const maxAliasChain = 16

// Deref follows an alias (*anchor) to the node it names. A node that is
// not an alias, or an alias that names nothing, is returned as it is.
func Deref(n *yaml.Node) *yaml.Node {
	for i := 0; n != nil && n.Kind == yaml.AliasNode && n.Alias != nil && i < maxAliasChain; i++ {
		n = n.Alias
	}
	return n
}

// IsNull reports whether n, through its aliases, is a YAML null: ~, null
// or nothing at all.
func IsNull(n *yaml.Node) bool {
	n = Deref(n)
	return n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null"
}
