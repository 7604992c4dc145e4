package mapping

import (
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strconv"
	"strings"
)

// versionPattern is a format version: major.minor.
var versionPattern = regexp.MustCompile(`^([0-9]{1,4})\.[0-9]{1,4}$`)

// readHeader sets up the XML decoder, reads the prolog and the root start
// tag, and reads on to the first Case start tag (d.pending) or the root end.
func (d *Decoder) readHeader() error {
	src, bom, err := sniff(d.source)
	if err != nil {
		return err
	}
	d.guard = newGuardReader(src)
	d.xml = xml.NewDecoder(d.guard)
	d.xml.Strict = true
	d.xml.CharsetReader = charsetReader(bom)

	root, err := d.prolog()
	if err != nil {
		return err
	}
	if err := d.readRoot(root); err != nil {
		return err
	}
	d.pending, err = d.nextInRoot()
	return err
}

// prolog reads up to the root start tag.
func (d *Decoder) prolog() (xml.StartElement, error) {
	for {
		tok, err := d.token()
		if err == io.EOF {
			// Only a prolog so far: maybe an upload that has just begun.
			e := d.fatal("", "no root element: not an XML export").(*fatalError)
			e.truncated = true
			return xml.StartElement{}, e
		}
		if err != nil {
			return xml.StartElement{}, err
		}
		switch t := tok.(type) {
		case xml.StartElement:
			return t, nil
		case xml.CharData:
			if !isBlank(t) {
				return xml.StartElement{}, d.fatalToken("text before the root element: " +
					"not an XML export")
			}
		}
	}
}

// readRoot checks the root element and reads the header attributes. A wrong
// root or version is fatal: the rest of the file is in a format we do not
// know.
func (d *Decoder) readRoot(root xml.StartElement) error {
	if root.Name.Local != elemCaseExport {
		return d.fatalToken("root element is %s, want %s", tagName(root.Name), elemCaseExport)
	}
	const field = elemCaseExport + "/@"
	version, _ := attrValue(root, attrVersion)
	if err := checkVersion(version); err != nil {
		return d.fatal(field+attrVersion, "%v", err)
	}

	d.export = &Export{Version: version}
	d.export.ExportID, _ = attrValue(root, attrExportID)
	if d.export.ExportID == "" {
		d.headerProblem(field+attrExportID, "missing exportId attribute")
	}
	generated, _ := attrValue(root, attrGenerated)
	switch t, err := parseTimestamp(generated); {
	case generated == "":
		d.headerProblem(field+attrGenerated, "missing generated attribute")
	case err != nil:
		d.headerProblem(field+attrGenerated, "%s: %v", quote(generated), err)
	default:
		d.export.Generated = t
	}
	return nil
}

// checkVersion accepts format versions 1.x.
func checkVersion(version string) error {
	if version == "" {
		return errors.New("missing version attribute")
	}
	m := versionPattern.FindStringSubmatch(version)
	if m == nil {
		return fmt.Errorf("version %s is not of the form 1.x", quote(version))
	}
	if m[1] != "1" {
		major, _ := strconv.Atoi(m[1]) // the pattern allows digits only
		return fmt.Errorf("unsupported major version %d (version %s)", major, quoteName(version))
	}
	return nil
}

// headerProblem records a problem with the header at the current position:
// just after the start tag that holds it.
func (d *Decoder) headerProblem(field, format string, args ...any) {
	line, col := d.xml.InputPos()
	d.addProblem(Problem{Field: field, Line: line, Column: col,
		Message: fmt.Sprintf(format, args...)})
}

// readRecipient reads the Recipient element into the header.
func (d *Decoder) readRecipient(el xml.StartElement) error {
	code, hasCode := attrValue(el, attrCustodianCode)
	const field = elemRecipient + "/@" + attrCustodianCode
	switch {
	case !hasCode:
		d.headerProblem(field, "missing custodianCode attribute")
	case !isDigits(code):
		d.headerProblem(field, "custodianCode %s is not a number", quote(code))
	default:
		d.export.CustodianCode = code
	}

	name, err := d.readText(elemRecipient, maxShortText)
	d.export.RecipientName = name
	return err
}

// nextInRoot reads the root's children up to the next Case start tag, and
// reports true, or to the root end tag, and reports false.
func (d *Decoder) nextInRoot() (bool, error) {
	for {
		tok, err := d.token()
		if err != nil {
			return false, err
		}
		switch t := tok.(type) {
		case xml.EndElement:
			return false, nil
		case xml.StartElement:
			if t.Name.Local == elemCase {
				return true, nil
			}
			if err := d.rootChild(t); err != nil {
				return false, err
			}
		}
	}
}

// rootChild reads a child of the root other than a Case.
func (d *Decoder) rootChild(el xml.StartElement) error {
	if el.Name.Local != elemRecipient {
		return d.skip()
	}
	if d.cases == 0 && !d.pending {
		return d.readRecipient(el)
	}
	d.headerProblem(elemRecipient, "Recipient must come before the first Case")
	return d.skip()
}

// nextCase reads up to the next Case start tag and reports whether there
// is one; false means the root end tag was read.
func (d *Decoder) nextCase() (bool, error) {
	if d.pending {
		d.pending = false
		return true, nil
	}
	if d.depth == 0 {
		return false, nil // the root ended in Header
	}
	return d.nextInRoot()
}

// finish checks what follows the root end tag: nothing but white space,
// comments and processing instructions. A second root would otherwise be
// silently ignored.
func (d *Decoder) finish() error {
	if d.cases == 0 {
		line, col := d.xml.InputPos()
		d.addProblem(Problem{Line: line, Column: col, Message: "export holds no Case"})
	}
	for {
		tok, err := d.token()
		if err == io.EOF {
			d.state = stateDone
			return nil
		}
		if err != nil {
			return err
		}
		switch t := tok.(type) {
		case xml.StartElement:
			// Not quoted: it could be anything, a name included.
			return d.fatalToken("a second root element after %s", elemCaseExport)
		case xml.CharData:
			if !isBlank(t) {
				return d.fatalToken("text after the root element")
			}
		}
	}
}

// token returns the next token, enforcing the depth and attribute limits
// and refusing DTDs. io.EOF comes back only outside the root.
func (d *Decoder) token() (xml.Token, error) {
	d.guard.left = maxTokenBytes
	d.tokAt.line, d.tokAt.col = d.xml.InputPos()
	tok, err := d.xml.RawToken()
	if err != nil {
		return nil, d.tokenError(err)
	}

	switch t := tok.(type) {
	case xml.StartElement:
		d.depth++
		if d.depth > maxDepth {
			return nil, d.fatalToken("elements nested deeper than %d levels", maxDepth)
		}
		d.open = append(d.open, t.Name)
		if len(t.Attr) > maxAttrs {
			return nil, d.fatalToken("element %s has more than %d attributes",
				tagName(t.Name), maxAttrs)
		}
		for _, a := range t.Attr {
			if len(a.Value) > maxAttrBytes {
				return nil, d.fatalToken("attribute %s of %s is longer than %d bytes",
					attrName(a.Name), tagName(t.Name), maxAttrBytes)
			}
		}
	case xml.EndElement:
		if err := d.close(t.Name); err != nil {
			return nil, err
		}
		d.depth--
	case xml.Directive:
		if len(t) >= 7 && strings.EqualFold(string(t[:7]), "DOCTYPE") {
			return nil, d.fatalToken("DOCTYPE is not allowed in an export")
		}
		return nil, d.fatalToken("markup declaration (<!...>) is not allowed in an export")
	}
	return tok, nil
}

// close checks that an end tag closes the element open last, prefix and
// all, as encoding/xml's Token would: the decoder reads raw tokens, which
// it leaves unchecked, and so skips Token's namespace bookkeeping, which a
// namespace-agnostic reader does not use.
func (d *Decoder) close(name xml.Name) error {
	if len(d.open) == 0 {
		return d.fatal("", "XML not well-formed: unexpected end tag %s", tagName(name))
	}
	top := d.open[len(d.open)-1]
	d.open = d.open[:len(d.open)-1]
	switch {
	case top.Local != name.Local:
		return d.fatal("", "XML not well-formed: element %s closed by end tag %s",
			tagName(top), tagName(name))
	case top.Space != name.Space:
		return d.fatal("", "XML not well-formed: element %s closed by an end tag "+
			"with another prefix", tagName(top))
	}
	return nil
}

// attrName names an attribute for a problem message as tagName names a
// tag: quoted only when it is one of the format's.
func attrName(n xml.Name) string {
	if !knownAttributes[n.Local] {
		return "(a name not in the format)"
	}
	return quoteName(n.Local)
}

// tagName names a tag for a problem message: its local name quoted when it
// is an element of the format, and otherwise not at all, since an
// unescaped "<" in free text makes a tag of the word after it. Prefixes
// are never quoted, for the same reason.
func tagName(n xml.Name) string {
	if !knownElements[n.Local] {
		return "(a name not in the format)"
	}
	return quoteName(n.Local)
}

// tokenError turns an error from encoding/xml into a fatal problem, or a
// read error of the file.
func (d *Decoder) tokenError(err error) error {
	if d.source.err != nil {
		return fmt.Errorf("read export: %w", d.source.err)
	}
	if err == io.EOF {
		if d.depth > 0 {
			// Cut inside the document: maybe an upload still under way.
			e := d.fatal("", "XML not well-formed: unexpected EOF").(*fatalError)
			e.truncated = true
			return e
		}
		return io.EOF
	}

	var ce *charsetError
	var se *xml.SyntaxError
	switch {
	case errors.Is(err, errNULByte):
		return d.fatal("", "file contains a NUL byte: binary data, "+
			"or UTF-16 without a byte-order mark")
	case errors.Is(err, errTokenSize):
		return d.fatal("", "%v", errTokenSize)
	case errors.As(err, &ce):
		return d.fatal("", "%s", ce.msg)
	case errors.As(err, &se):
		e := fatalf("", "XML not well-formed: %s", syntaxMessage(se.Msg))
		_, e.p.Column = d.xml.InputPos()
		e.p.Line = se.Line
		// A file cut inside a multi-byte character reads as invalid
		// UTF-8: it may be an upload still under way, too.
		e.truncated = strings.HasPrefix(se.Msg, io.ErrUnexpectedEOF.Error()) ||
			se.Msg == "invalid UTF-8"
		return e
	}
	e := d.fatal("", "XML not well-formed: %s", syntaxMessage(err.Error()))
	if errors.Is(err, io.ErrUnexpectedEOF) {
		e.(*fatalError).truncated = true
	}
	return e
}

// syntaxMessage rewrites an encoding/xml message so that it never carries
// text from the file (an entity or a "name" can be part of a person's name).
func syntaxMessage(msg string) string {
	msg = strings.TrimPrefix(msg, "xml: ")
	switch {
	case strings.HasPrefix(msg, "invalid character entity"):
		return "undefined or malformed entity reference; XML defines only " +
			"&amp; &lt; &gt; &quot; &apos; and numeric references"
	case msg == "invalid UTF-8":
		return "invalid UTF-8: the file holds bytes that are not UTF-8 " +
			"and its XML declaration names no other encoding"
	case strings.HasPrefix(msg, "invalid XML name"):
		return "invalid XML name"
	case strings.HasPrefix(msg, "invalid characters between </"):
		return "invalid characters in an end tag"
	case strings.HasPrefix(msg, "unsupported version"):
		return "unsupported XML version; only 1.0 is supported"
	}
	if len(msg) > 120 {
		return strings.ToValidUTF8(msg[:120], "") + "…"
	}
	return msg
}

// children calls fn for each child element of the element whose start tag
// was just read, up to its end tag. fn must read the child to its end tag,
// or skip it. Text between children is ignored.
func (d *Decoder) children(fn func(xml.StartElement) error) error {
	for {
		tok, err := d.token()
		if err != nil {
			return err
		}
		switch t := tok.(type) {
		case xml.StartElement:
			if err := fn(t); err != nil {
				return err
			}
		case xml.EndElement:
			return nil
		}
	}
}

// skip reads past the end tag of the element whose start tag was just read.
func (d *Decoder) skip() error {
	for end := d.depth - 1; d.depth > end; {
		if _, err := d.token(); err != nil {
			return err
		}
	}
	return nil
}

// readText reads the text of the element whose start tag was just read, up
// to its end tag, and returns it trimmed. Child elements are skipped. Text
// over max bytes is fatal: it is counted as it comes, never buffered whole.
func (d *Decoder) readText(field string, max int) (string, error) {
	d.text = d.text[:0]
	for {
		tok, err := d.token()
		if err != nil {
			return "", err
		}
		switch t := tok.(type) {
		case xml.CharData:
			if len(d.text)+len(t) > max {
				return "", d.fatal(field, "text longer than %d bytes", max)
			}
			d.text = append(d.text, t...)
		case xml.StartElement:
			if err := d.skip(); err != nil {
				return "", err
			}
		case xml.EndElement:
			return strings.TrimSpace(string(d.text)), nil
		}
	}
}

// attrValue returns the trimmed value of the attribute with the given local
// name, whatever its prefix; namespace declarations never match.
func attrValue(el xml.StartElement, local string) (string, bool) {
	for _, a := range el.Attr {
		if a.Name.Local == local && a.Name.Space != "xmlns" {
			return strings.TrimSpace(a.Value), true
		}
	}
	return "", false
}
