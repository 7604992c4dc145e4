package mapping

import (
	"encoding/binary"
	"hash/maphash"
	"time"
)

// digest hashes the decoded content of c, leaving out where it was in the
// file, so that a case sent twice in one file can be told from a conflict.
// Every field is written in order, strings and lists with their lengths
// and optional parts with their presence, so that no two contents write
// the same bytes. A field added to the model must be added here;
// TestDigestCoversEveryField fails until it is.
func digest(c *Case) uint64 {
	var w digester
	w.h.SetSeed(refSeed)
	w.str(c.Reference)
	w.int(int64(c.UpdateSequence))
	w.str(string(c.Route))
	w.code(&c.CaseType)
	w.str(c.RecipientRole)
	w.time(c.ReceivedAt)
	w.str(c.Channel)
	if w.present(c.Consumer != nil) {
		p := c.Consumer
		w.str(p.Title)
		w.str(p.Forename)
		w.str(p.Surname)
		w.address(p.Address)
		w.str(p.Telephone)
		w.str(p.Email)
		w.str(p.AgeBand)
		w.optBool(p.Vulnerable)
		w.str(p.VulnerableReason)
		w.optBool(p.ContactConsent)
	}
	if w.present(c.Trader != nil) {
		t := c.Trader
		w.str(t.Name)
		w.str(t.TradingAs)
		w.str(t.CompanyNumber)
		w.bool(t.CompanyNumberValid)
		w.address(t.Address)
		w.str(t.Telephone)
		w.str(t.Email)
		w.str(t.Website)
	}
	if w.present(c.Purchase != nil) {
		p := c.Purchase
		w.optTime(p.Date)
		w.money(p.Amount)
		w.optCode(p.Product)
		w.optCode(p.Method)
		w.optCode(p.Payment)
		w.str(p.Description)
	}
	if w.present(c.Complaint != nil) {
		p := c.Complaint
		w.int(int64(len(p.Codes)))
		for i := range p.Codes {
			w.code(&p.Codes[i])
		}
		w.optCode(p.Scam)
		w.str(p.Breach)
		w.money(p.Detriment)
		w.str(p.Summary)
		w.str(p.AdviceGiven)
	}
	w.int(int64(len(c.Agencies)))
	for _, a := range c.Agencies {
		w.str(a.Role)
		w.str(a.Name)
	}
	w.int(int64(len(c.Notes)))
	for _, n := range c.Notes {
		w.optTime(n.At)
		w.str(n.Text)
	}
	return w.h.Sum64()
}

// digester writes a case's values into a hash without ambiguity.
type digester struct {
	h   maphash.Hash
	buf [8]byte
}

func (w *digester) int(v int64) {
	binary.LittleEndian.PutUint64(w.buf[:], uint64(v))
	w.h.Write(w.buf[:])
}

func (w *digester) bool(v bool) {
	if v {
		w.h.WriteByte(1)
	} else {
		w.h.WriteByte(0)
	}
}

// present writes whether an optional part is there, and returns it.
func (w *digester) present(ok bool) bool {
	w.bool(ok)
	return ok
}

func (w *digester) str(s string) {
	w.int(int64(len(s)))
	w.h.WriteString(s)
}

// time writes the instant; the decoder gives every time in UTC.
func (w *digester) time(t time.Time) {
	w.int(t.Unix())
	w.int(int64(t.Nanosecond()))
}

func (w *digester) optTime(t *time.Time) {
	if w.present(t != nil) {
		w.time(*t)
	}
}

func (w *digester) optBool(b *bool) {
	if w.present(b != nil) {
		w.bool(*b)
	}
}

func (w *digester) code(c *Code) {
	w.str(c.Code)
	w.str(c.Label)
}

func (w *digester) optCode(c *Code) {
	if w.present(c != nil) {
		w.code(c)
	}
}

// money writes the amount as its exact decimal text, so that 1.5 and 1.50
// are the same amount, and the currency.
func (w *digester) money(m *Money) {
	if w.present(m != nil) {
		w.str(m.Amount.String())
		w.str(m.Currency)
	}
}

func (w *digester) address(a *Address) {
	if !w.present(a != nil) {
		return
	}
	w.int(int64(len(a.Lines)))
	for _, l := range a.Lines {
		w.str(l)
	}
	w.str(a.Town)
	w.str(a.County)
	w.str(a.Postcode)
	w.bool(a.PostcodeValid)
	w.str(a.UPRN)
}
