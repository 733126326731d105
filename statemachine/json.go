package statemachine

import (
	"encoding/json"
	"strconv"
	"strings"
)

// jsonField walks a decoded JSON value along a dotted path: object keys,
// and array indexes as numbers ("items.0.id").
func jsonField(v any, path string) (any, bool) {
	for _, part := range strings.Split(path, ".") {
		switch x := v.(type) {
		case map[string]any:
			var ok bool
			if v, ok = x[part]; !ok {
				return nil, false
			}
		case []any:
			i, err := strconv.Atoi(part)
			if err != nil || i < 0 || i >= len(x) {
				return nil, false
			}
			v = x[i]
		default:
			return nil, false
		}
	}
	return v, true
}

// jsonString renders a JSON value as a flow variable: strings as they are,
// numbers as written, true/false, "" for null or absent, and objects or
// arrays as compact JSON.
func jsonString(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case string:
		return x
	case json.Number:
		return x.String()
	case bool:
		return strconv.FormatBool(x)
	case float64:
		return strconv.FormatFloat(x, 'g', -1, 64)
	}
	b, err := json.Marshal(v)
	if err != nil { // decoded JSON always marshals; keep the flow going if not
		return ""
	}
	return string(b)
}
