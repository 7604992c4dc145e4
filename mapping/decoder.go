package mapping

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"hash/maphash"
	"io"
	"regexp"
	"strconv"
	"strings"
	"unicode"
)

// Limits on what one file can make the reader do (DESIGN.md, Security).
const (
	maxDepth      = 32       // element nesting, the root being level 1
	maxAttrs      = 32       // attributes on one element, xmlns ones included
	maxAttrBytes  = 1 << 10  // bytes in one attribute value
	maxShortText  = 1 << 10  // bytes of text in a field that is not free text
	maxFreeText   = 32 << 10 // bytes of text in Summary, AdviceGiven, Description, Note
	maxRepeated   = 100      // Code, Agency or Note elements kept per case
	maxProblems   = 1000     // problems listed; the rest are only counted
	maxQuotedText = 40       // runes of a value quoted in a problem message
)

type decoderState int

const (
	stateNew    decoderState = iota // Header not read yet
	stateCases                      // inside the root, between cases
	stateDone                       // the whole document has been read
	stateFailed                     // a fatal problem or read error; err says which
)

// A Decoder reads one CACS export, case by case, keeping memory flat
// whatever the size of the file: only a digest per case reference grows.
//
// Call Header, then Next until it returns io.EOF, then Err: a case that
// Next returned is only safe to import when Err returns nil, because a later
// part of the file may still be bad.
type Decoder struct {
	source *sourceReader
	guard  *guardReader
	xml    *xml.Decoder
	state  decoderState
	err    error      // set in stateFailed
	depth  int        // open elements, the root being 1
	open   []xml.Name // the open elements' names, innermost last
	tokAt  position   // where the last token read began

	export  *Export
	pending bool // Header has read the first Case start tag
	cases   int
	// seen holds, for each case reference returned, the start of its
	// digest, keyed by a 64-bit hash of the reference: 16 bytes a case, so
	// that a file of a few hundred thousand cases holds a few megabytes.
	// Two references whose hashes collide (about one chance in a billion
	// for 200,000 cases) would fail the file as a repeat with other content.
	seen     map[uint64]uint64
	problems []Problem
	omitted  int    // problems beyond maxProblems
	text     []byte // scratch for element text
}

// NewDecoder returns a Decoder reading an export from r. It reads nothing
// until Header or Next is called.
func NewDecoder(r io.Reader) *Decoder {
	return &Decoder{
		source: &sourceReader{r: r},
		seen:   make(map[uint64]uint64),
	}
}

// refSeed keys the hashes of case references. One seed for the process
// gives a file the same hashes each time it is read, so a file that passes
// its check is not failed by a collision when it is read again to import
// it; a seed made at start keeps the collisions out of a file's control.
var refSeed = maphash.MakeSeed()

// Header reads up to the first Case and returns the export header (version,
// exportId, generated, Recipient). A fatal problem (empty file, not XML, a
// DOCTYPE, a wrong root, an unsupported version) returns *InvalidError;
// lesser header problems are reported by Err. A read error of r is returned
// wrapped, never as *InvalidError.
func (d *Decoder) Header() (*Export, error) {
	switch d.state {
	case stateNew:
	case stateFailed:
		return d.export, d.err
	default:
		return d.export, nil
	}

	d.state = stateCases
	if err := d.readHeader(); err != nil {
		return nil, d.fail(err)
	}
	return d.export, nil
}

// Next returns the next case that has no problems. Cases with problems are
// not returned; their problems are collected for Err. A case reference
// repeated with the same content is returned once; repeated with different
// content, it is a problem. At the end of the document Next returns io.EOF.
// A fatal problem (XML not well-formed, a security limit, a second root...)
// returns *InvalidError holding every problem collected so far and the fatal
// one; the Decoder is then done and returns the same error again.
func (d *Decoder) Next() (*Case, error) {
	if d.state == stateNew {
		if _, err := d.Header(); err != nil {
			return nil, err
		}
	}

	for d.state == stateCases {
		more, err := d.nextCase()
		if err != nil {
			return nil, d.fail(err)
		}
		if !more {
			if err := d.finish(); err != nil {
				return nil, d.fail(err)
			}
			break
		}

		c, err := d.readCase()
		if err != nil {
			return nil, d.fail(err)
		}
		if c != nil && d.keep(c) {
			return c, nil
		}
	}

	if d.state == stateFailed {
		return nil, d.err
	}
	return nil, io.EOF
}

// Err returns *InvalidError listing every problem collected, or nil when
// the file is good. Call it after Next returned io.EOF; after a fatal
// problem or read error it returns the error Next returned.
func (d *Decoder) Err() error {
	if d.err != nil {
		return d.err
	}
	if len(d.problems) == 0 && d.omitted == 0 {
		return nil
	}
	return d.invalid()
}

// Cases returns the number of Case elements read so far, good or bad,
// repeated ones included.
func (d *Decoder) Cases() int {
	return d.cases
}

// Decode reads a whole export from r, calling fn (when not nil) for each
// good case as it is read. It returns the header, the number of cases seen
// (good or bad), and *InvalidError if the file has any problem. An error
// from fn stops decoding and is returned wrapped.
func Decode(r io.Reader, fn func(*Case) error) (*Export, int, error) {
	d := NewDecoder(r)
	export, err := d.Header()
	if err != nil {
		return nil, 0, err
	}

	for {
		c, err := d.Next()
		if err == io.EOF {
			return export, d.cases, d.Err()
		}
		if err != nil {
			return export, d.cases, err
		}
		if fn == nil {
			continue
		}
		if err := fn(c); err != nil {
			return export, d.cases, fmt.Errorf("case %s: %w", c.Reference, err)
		}
	}
}

// keep records a good case's digest and reports whether Next should return
// it: not when the same reference was already returned.
func (d *Decoder) keep(c *Case) bool {
	key := maphash.String(refSeed, c.Reference)
	digest := c.Digest
	prev, ok := d.seen[key]
	if !ok {
		d.seen[key] = digest
		return true
	}
	if prev != digest {
		d.addProblem(Problem{
			CaseRef: c.Reference,
			Field:   elemCaseReference,
			Line:    c.Line,
			Column:  c.Column,
			Message: fmt.Sprintf("case reference %s appears again with different content",
				quote(c.Reference)),
		})
	}
	return false
}

func (d *Decoder) addProblem(p Problem) {
	if len(d.problems) >= maxProblems {
		d.omitted++
		return
	}
	d.problems = append(d.problems, p)
}

// fail ends decoding with err: a fatal problem joins the list and the whole
// list becomes the error; any other error (reading the file) is kept as is.
func (d *Decoder) fail(err error) error {
	d.state = stateFailed
	var fe *fatalError
	if !errors.As(err, &fe) {
		d.err = err
		return err
	}
	d.problems = append(d.problems, fe.p)
	inv := d.invalid()
	inv.Truncated = fe.truncated
	d.err = inv
	return d.err
}

func (d *Decoder) invalid() *InvalidError {
	ps := make([]Problem, len(d.problems), len(d.problems)+1)
	copy(ps, d.problems)
	if d.omitted > 0 {
		ps = append(ps, Problem{Message: fmt.Sprintf("%d more problems not listed", d.omitted)})
	}
	return &InvalidError{Problems: ps}
}

// fatalError is a problem after which the file cannot be read on.
type fatalError struct {
	p         Problem
	truncated bool // the file ended inside the document
}

func (e *fatalError) Error() string { return e.p.String() }

func fatalf(field, format string, args ...any) *fatalError {
	return &fatalError{p: Problem{Field: field, Message: fmt.Sprintf(format, args...)}}
}

// fatal is fatalf at the decoder's current position.
func (d *Decoder) fatal(field, format string, args ...any) error {
	e := fatalf(field, format, args...)
	e.p.Line, e.p.Column = d.xml.InputPos()
	return e
}

// fatalToken is fatalf at the start of the last token read: the tag or
// text that is refused.
func (d *Decoder) fatalToken(format string, args ...any) error {
	e := fatalf("", format, args...)
	e.p.Line, e.p.Column = d.tokAt.line, d.tokAt.col
	return e
}

// quote returns s quoted for a problem message, cut to maxQuotedText runes.
// Only values of structured fields (dates, amounts, codes, references) may
// be quoted: never names, addresses, contact details or free text.
//
// A value in the wrong field may still be personal data (a shifted
// column puts a surname where a route belongs), so only a value with the
// shape of a date, an amount or a code is quoted; anything else with a
// letter in it, an email address, or a run of digits as long as a phone
// number is withheld.
func quote(s string) string {
	if looksPersonal(s) {
		return "(value withheld: it may hold personal data)"
	}
	if cut := cutRunes(s, maxQuotedText); cut != s {
		return fmt.Sprintf("%q…", cut)
	}
	return fmt.Sprintf("%q", s)
}

// quoteName quotes markup rather than content for a problem message: the
// name of an element or attribute of the format, a known encoding label,
// a version of digits, a dot and digits. Only values already checked
// against such a list or shape may be passed; anything else goes through
// quote.
func quoteName(s string) string {
	if cut := cutRunes(s, maxQuotedText); cut != s {
		return fmt.Sprintf("%q…", cut)
	}
	return fmt.Sprintf("%q", s)
}

// looksPersonal reports whether s may be personal data: whether it lacks
// the shape of a date or time, an amount or a code. The shapes are narrow
// on purpose: a word in mixed case may be a name, a run of ten digits a
// telephone number, and letters after digits a postcode, whatever field
// it was found in. Even a case reference is withheld: one that is not
// shaped like one may be anything, and a problem names its case apart.
func looksPersonal(s string) bool {
	switch {
	case strings.ContainsRune(s, '@'):
		return true
	case dateLike(s):
		return false
	case countDigits(s) > maxShownDigits:
		return true
	}
	// An account number or a customer number, signed or not.
	if bare := strings.TrimLeft(s, "+-"); len(bare) > maxBareDigits && allDigits(bare) {
		return true
	}
	return !amountShape.MatchString(s) && !codeLike(s)
}

// dateLike reports whether s has the shape of a date or time whose day
// and month could be one (31/02 could, 12.34.56, a sort code, could not).
func dateLike(s string) bool {
	m := dateShape.FindStringSubmatch(s)
	if m == nil {
		return false
	}
	month, day := m[1], m[2] // 2026-11-29
	if m[3] != "" {
		day, month = m[3], m[4] // 29/11/2026
	}
	d, _ := strconv.Atoi(day)
	mo, _ := strconv.Atoi(month)
	return d >= 1 && d <= 31 && mo >= 1 && mo <= 12
}

// codeLike reports whether s has the shape of a CACS code: capitals and
// digits, at most three letters in a row, and no letter after a digit
// (NEW1 and TC-CR, not ME44ZZ); a code without letters is digits alone
// (2280, not the sort code 12-34-56).
func codeLike(s string) bool {
	letters := maxLetterRun(s)
	if !codeShape.MatchString(s) || letters > maxCodeLetters || letters == 0 && !allDigits(s) {
		return false
	}
	digit := false
	for _, r := range s {
		switch {
		case unicode.IsDigit(r):
			digit = true
		case unicode.IsLetter(r) && digit:
			return false
		}
	}
	return true
}

// maxCodeLetters is the longest run of letters a shown code may have:
// CACS codes run to three (GBP, TC-CR, ENQ), and a longer word in capitals
// may be a surname.
const maxCodeLetters = 3

func maxLetterRun(s string) int {
	longest, run := 0, 0
	for _, r := range s {
		if unicode.IsLetter(r) {
			run++
			longest = max(longest, run)
		} else {
			run = 0
		}
	}
	return longest
}

// maxShownDigits is the most digits a shown amount or code may have: a
// UK telephone number has ten or eleven.
const maxShownDigits = 9

// maxBareDigits is the longest run of digits alone that is shown: an
// amount or a custodian code; eight digits may be a bank account.
const maxBareDigits = 6

// The shapes a problem message may quote.
var (
	dateShape = regexp.MustCompile(`^(?:\d{4}-(\d{1,2})-(\d{1,2})|(\d{1,2})[/.](\d{1,2})[/.]\d{2,4})` +
		`(?:[ T]\d{1,2}[:.]\d{2}(?:[:.]\d{2}(?:\.\d{1,6})?)? ?(?:Z|[+-]\d{2}:?\d{2})?)?$`)
	amountShape = regexp.MustCompile(`^[-+]?£? ?[0-9,]*\.?[0-9]+$`)
	codeShape   = regexp.MustCompile(`^[A-Z0-9][A-Z0-9_./+-]{0,19}$`)
)

func countDigits(s string) int {
	n := 0
	for _, r := range s {
		if unicode.IsDigit(r) {
			n++
		}
	}
	return n
}

// allDigits reports whether s is one or more of the digits 0 to 9 and
// nothing else.
func allDigits(s string) bool {
	return s != "" && strings.Trim(s, "0123456789") == ""
}

func isBlank(b []byte) bool {
	return len(bytes.TrimSpace(b)) == 0
}
