package main

import (
	"bufio"
	"encoding/xml"
	"errors"
	"fmt"
	"hash/fnv"
	"io"
	"math/rand/v2"
	"regexp"
	"strings"
	"time"

	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/encoding/unicode"
	"golang.org/x/text/transform"
)

// options are what to generate.
type options struct {
	files     int
	cases     int
	seed      uint64
	updates   float64
	encoding  string
	custodian string
	prefix    string
}

func (o options) validate() error {
	var errs []error
	if o.files < 1 || o.cases < 1 {
		errs = append(errs, errors.New("--files and --cases must be at least 1"))
	}
	if o.updates < 0 || o.updates > 1 {
		errs = append(errs, errors.New("--updates must be between 0 and 1"))
	}
	if _, _, err := encoderFor(o.encoding); err != nil {
		errs = append(errs, err)
	}
	if !prefixPattern.MatchString(o.prefix) {
		errs = append(errs, errors.New("--prefix must be 1 to 24 upper-case letters, "+
			"digits or hyphens, beginning with a letter or digit"))
	}
	return errors.Join(errs...)
}

// prefixPattern is what a case reference may begin with: with the eight
// digits after it, a reference of the export format, and a file name.
var prefixPattern = regexp.MustCompile(`^[A-Z0-9][A-Z0-9-]{0,23}$`)

// encoderFor returns the encoder and the label for the XML declaration.
func encoderFor(name string) (*encoding.Encoder, string, error) {
	switch name {
	case "utf-8", "utf-8-bom":
		return nil, "UTF-8", nil
	case "utf-16":
		return unicode.UTF16(unicode.LittleEndian, unicode.UseBOM).NewEncoder(), "UTF-16", nil
	case "windows-1252":
		return charmap.Windows1252.NewEncoder(), "windows-1252", nil
	}
	return nil, "", fmt.Errorf("unknown encoding %q", name)
}

// generator makes cases; it remembers the ones it sent so that some later
// cases can be updates of them.
type generator struct {
	opts options
	rng  *rand.Rand
	sent []*xcase // cases sent so far, the latest version of each
	next int      // serial number of the next new case

	// The consumers and traders sent so far, which later cases may be
	// about again, and how many of each were made.
	consumers  []*xconsumer
	traders    []*xtrader
	people     int
	businesses int
	// ns and prefixHash come from the prefix, and keep the emails,
	// websites and company numbers of exports made with different
	// prefixes apart, as their case references are.
	ns         string
	prefixHash uint32

	// Updates come only from earlier files, and a case appears once in a
	// file, since a reference repeated with other content fails the file.
	fileStart int
	inFile    map[string]bool
}

func newGenerator(o options) *generator {
	h := fnv.New32a()
	h.Write([]byte(o.prefix))
	// The prefix goes into the seed too, so that exports made with
	// different prefixes invent different people and businesses.
	return &generator{opts: o,
		rng: rand.New(rand.NewPCG(o.seed, 0x6361637364^uint64(h.Sum32())<<8)),
		ns:  strings.ToLower(o.prefix), prefixHash: h.Sum32()}
}

// export writes export number i to w.
func (g *generator) export(w io.Writer, i int) error {
	enc, label, err := encoderFor(g.opts.encoding)
	if err != nil {
		return err
	}
	var flush io.Closer // the transcoder, which holds the last bytes
	if enc != nil {
		tw := transform.NewWriter(w, enc)
		w, flush = tw, tw
	}
	g.fileStart, g.inFile = len(g.sent), map[string]bool{}
	bw := bufio.NewWriterSize(w, 64<<10)
	if g.opts.encoding == "utf-8-bom" {
		bw.WriteString("\uFEFF")
	}
	generated := baseTime.Add(time.Duration(i) * 24 * time.Hour).Add(7 * time.Hour)
	fmt.Fprintf(bw, "<?xml version=\"1.0\" encoding=\"%s\"?>\n", label)
	fmt.Fprintf(bw, "<CaseExport version=\"1.0\" exportId=\"%s-%06d\" generated=\"%s\" "+
		"xmlns=\"urn:cacs:case-export:1\">\n", g.opts.prefix, i+1, generated.Format(time.RFC3339))
	if g.opts.custodian != "" {
		fmt.Fprintf(bw, "<Recipient custodianCode=\"%s\">Trading Standards</Recipient>\n",
			g.opts.custodian)
	}
	xe := xml.NewEncoder(bw)
	xe.Indent("", " ")
	for range g.opts.cases {
		if err := xe.Encode(g.nextCase()); err != nil {
			return err
		}
		if err := xe.Flush(); err != nil {
			return err
		}
		bw.WriteString("\n")
	}
	bw.WriteString("</CaseExport>\n")
	if err := bw.Flush(); err != nil {
		return err
	}
	if flush != nil {
		return flush.Close()
	}
	return nil
}

// nextCase returns a new case, or an update of one sent earlier.
func (g *generator) nextCase() *xcase {
	if g.fileStart > 0 && g.rng.Float64() < g.opts.updates {
		i := g.rng.IntN(g.fileStart)
		if prev := g.sent[i]; !g.inFile[prev.Reference] {
			return g.update(i)
		}
	}
	g.next++
	c := g.newCase(g.next)
	g.sent = append(g.sent, c)
	g.inFile[c.Reference] = true
	return c
}

// update resends sent case i with a higher sequence and a new summary.
func (g *generator) update(i int) *xcase {
	c := *g.sent[i]
	c.UpdateSequence++
	if c.Complaint != nil {
		cp := *c.Complaint
		cp.Summary = pick(g.rng, summaries) + " The consumer called again."
		c.Complaint = &cp
	}
	// A later update of the same case gets a higher sequence still.
	g.sent[i] = &c
	g.inFile[c.Reference] = true
	return &c
}
