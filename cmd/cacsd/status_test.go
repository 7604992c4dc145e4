package main

import "testing"

func TestShownNameKeepsOneLine(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"export.xml", "export.xml"},
		{"café export.xml", "café export.xml"},
		{"two\nlines.xml", `"two\nlines.xml"`},
		{"caf\xe9.xml", `"caf\xe9.xml"`},
		{"invoice\u202egpj.xml", `"invoice\u202egpj.xml"`},
	} {
		if got := shownName(tc.in); got != tc.want {
			t.Errorf("shownName(%q) = %s, want %s", tc.in, got, tc.want)
		}
	}
}
