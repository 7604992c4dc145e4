package mapping

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"

	"golang.org/x/net/html/charset"
	"golang.org/x/text/encoding/unicode"
	"golang.org/x/text/transform"
)

// maxTokenBytes bounds the input bytes encoding/xml may read to produce one
// token. encoding/xml buffers a whole text run or tag before returning it,
// so without this bound one 10 MB text node would cost 10 MB. It leaves room
// for the longest legal free text written entirely as character references.
const maxTokenBytes = 256 << 10

// byteOrder is the byte-order mark a file starts with, if any.
type byteOrder int

const (
	bomNone byteOrder = iota
	bomUTF8
	bomUTF16
)

// Errors the guard reader returns to encoding/xml; the decoder turns them
// into problems.
var (
	errNULByte   = errors.New("file contains a NUL byte")
	errTokenSize = fmt.Errorf("text or tag longer than %d bytes", maxTokenBytes)
)

// charsetError is a declared encoding the reader refuses.
type charsetError struct{ msg string }

func (e *charsetError) Error() string { return e.msg }

// sourceReader remembers a read error of the file itself, so that an I/O
// failure is never reported as a bad file.
type sourceReader struct {
	r   io.Reader
	err error
}

func (s *sourceReader) Read(p []byte) (int, error) {
	n, err := s.r.Read(p)
	if err != nil && err != io.EOF {
		s.err = err
	}
	return n, err
}

// guardReader sits between the file and encoding/xml. It refuses NUL bytes
// and bounds the bytes read per token: the decoder resets left before each
// token.
type guardReader struct {
	r      io.Reader
	buf    []byte
	pos, n int
	left   int
}

func newGuardReader(r io.Reader) *guardReader {
	return &guardReader{r: r, buf: make([]byte, 32<<10), left: maxTokenBytes}
}

func (g *guardReader) fill() error {
	// Like bufio, give up on a source that keeps returning nothing.
	for range 100 {
		n, err := g.r.Read(g.buf)
		g.pos, g.n = 0, n
		if n > 0 {
			return nil
		}
		if err != nil {
			return err
		}
	}
	return io.ErrNoProgress
}

// ReadByte makes guardReader an io.ByteReader, which encoding/xml then uses
// directly instead of wrapping it in a bufio.Reader.
func (g *guardReader) ReadByte() (byte, error) {
	if g.pos == g.n {
		if err := g.fill(); err != nil {
			return 0, err
		}
	}
	if g.left <= 0 {
		return 0, errTokenSize
	}
	b := g.buf[g.pos]
	if b == 0 {
		return 0, errNULByte
	}
	g.pos++
	g.left--
	return b, nil
}

// Read serves a charset decoder that encoding/xml puts on top of the guard.
func (g *guardReader) Read(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	if g.pos == g.n {
		if err := g.fill(); err != nil {
			return 0, err
		}
	}
	if g.left <= 0 {
		return 0, errTokenSize
	}
	n := min(len(p), g.n-g.pos, g.left)
	chunk := g.buf[g.pos : g.pos+n]
	if i := bytes.IndexByte(chunk, 0); i >= 0 {
		if i == 0 {
			return 0, errNULByte
		}
		n, chunk = i, chunk[:i]
	}
	copy(p, chunk)
	g.pos += n
	g.left -= n
	return n, nil
}

// sniff looks at the first bytes of r for a byte-order mark. It returns the
// reader to decode (UTF-16 already transcoded to UTF-8, a UTF-8 mark
// dropped) and which mark it found. A file with no bytes at all, or one in
// UTF-16 without a mark, is a problem.
func sniff(r io.Reader) (io.Reader, byteOrder, error) {
	br := bufio.NewReader(r)
	head, err := br.Peek(4)
	if err != nil && err != io.EOF {
		return nil, bomNone, fmt.Errorf("read export: %w", err)
	}
	switch {
	case len(head) == 0:
		return nil, bomNone, fatalf("", "file is empty")
	case bytes.HasPrefix(head, []byte{0xEF, 0xBB, 0xBF}):
		_, _ = br.Discard(3) // peeked, so cannot fail
		return br, bomUTF8, nil
	case bytes.HasPrefix(head, []byte{0xFF, 0xFE}):
		dec := unicode.UTF16(unicode.LittleEndian, unicode.ExpectBOM).NewDecoder()
		return transform.NewReader(&oddTail{r: br}, dec), bomUTF16, nil
	case bytes.HasPrefix(head, []byte{0xFE, 0xFF}):
		dec := unicode.UTF16(unicode.BigEndian, unicode.ExpectBOM).NewDecoder()
		return transform.NewReader(&oddTail{r: br}, dec), bomUTF16, nil
	case bytes.Equal(head, []byte{'<', 0, '?', 0}), bytes.Equal(head, []byte{0, '<', 0, '?'}):
		return nil, bomNone, fatalf("", "file is UTF-16 without a byte-order mark; "+
			"UTF-16 exports must start with one")
	}
	return br, bomNone, nil
}

// oddTail ends a UTF-16 file that stops inside a character with
// io.ErrUnexpectedEOF, a file cut short, rather than letting the
// transcoder read the half character as U+FFFD and the rest of the
// decoder take the file for malformed: an upload under way stops anywhere.
type oddTail struct {
	r io.Reader
	n int64
}

func (o *oddTail) Read(p []byte) (int, error) {
	n, err := o.r.Read(p)
	o.n += int64(n)
	if err == io.EOF && o.n%2 == 1 {
		err = io.ErrUnexpectedEOF
	}
	return n, err
}

// charsetReader is the decoder's CharsetReader: encoding/xml calls it with
// the encoding named in the XML declaration (never for "UTF-8"). Input
// already transcoded because of a byte-order mark passes through unchanged.
func charsetReader(bom byteOrder) func(string, io.Reader) (io.Reader, error) {
	return func(label string, in io.Reader) (io.Reader, error) {
		enc, name := charset.Lookup(label)
		switch {
		case enc == nil || name == "replacement":
			return nil, &charsetError{fmt.Sprintf(
				"unknown character encoding %s in the XML declaration", quote(label))}
		case strings.HasPrefix(name, "utf-16") && bom == bomUTF16:
			return in, nil
		case strings.HasPrefix(name, "utf-16"):
			return nil, &charsetError{"XML declaration says UTF-16 but the file has no " +
				"UTF-16 byte-order mark"}
		case bom == bomUTF16 || (bom == bomUTF8 && name != "utf-8"):
			// A label charset knows names an encoding, not a person.
			return nil, &charsetError{fmt.Sprintf(
				"XML declaration says %s but the file starts with a %s byte-order mark",
				quoteName(label), bom)}
		case name == "utf-8":
			return in, nil
		}
		return charset.NewReaderLabel(label, in)
	}
}

func (b byteOrder) String() string {
	switch b {
	case bomUTF8:
		return "UTF-8"
	case bomUTF16:
		return "UTF-16"
	}
	return "no"
}
