package mapping

import (
	"fmt"
	"strings"
)

// Problem is one thing wrong with an export: where it is and what is wrong.
// Message never carries personal data (names, addresses, contact details,
// free text); it may quote a value only for coded or structured fields
// (dates, amounts, sequence numbers, routes, codes, versions).
type Problem struct {
	CaseRef string `json:"case_ref,omitempty"` // empty for file-level problems
	Field   string `json:"field,omitempty"`    // element path within the case, e.g. "Purchase/Date"
	Line    int    `json:"line,omitempty"`
	Column  int    `json:"column,omitempty"`
	Message string `json:"message"`
}

// String formats the problem as "CASE Field line:col: message".
func (p Problem) String() string {
	var b strings.Builder
	if p.CaseRef != "" {
		b.WriteString(p.CaseRef)
		b.WriteString(" ")
	}
	if p.Field != "" {
		b.WriteString(p.Field)
		b.WriteString(" ")
	}
	if p.Line > 0 {
		fmt.Fprintf(&b, "%d:%d: ", p.Line, p.Column)
	}
	b.WriteString(p.Message)
	return b.String()
}

// InvalidError is returned when a file's content cannot be imported. It is
// permanent: the same bytes fail the same way every time.
type InvalidError struct {
	Problems []Problem
	// Truncated is set when the file ends inside the document, or holds
	// bytes that are not UTF-8 (as a file cut inside a character does): it
	// may still be being written by a sender that paused.
	Truncated bool
}

// Error summarises the problems; the first one and a count of the rest.
func (e *InvalidError) Error() string {
	switch len(e.Problems) {
	case 0:
		return "invalid export"
	case 1:
		return "invalid export: " + e.Problems[0].String()
	}
	return fmt.Sprintf("invalid export: %s (and %d more problems)",
		e.Problems[0].String(), len(e.Problems)-1)
}
