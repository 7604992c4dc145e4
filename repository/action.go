package repository

import (
	"time"

	"github.com/rickar/cal/v2"
	"github.com/rickar/cal/v2/gb"

	"cacsd/mapping"
)

// actionTemplate is a row of action_template. A nil criterion matches
// anything.
type actionTemplate struct {
	ID             int64   `json:"id"`
	Title          string  `json:"title"`
	Route          *string `json:"route"`
	CaseTypeCode   *string `json:"case_type_code"`
	Breach         *string `json:"breach"`
	Vulnerable     *bool   `json:"vulnerable"`
	DueWorkingDays *int    `json:"due_working_days"`
}

// matches reports whether the template applies to case c.
func (at *actionTemplate) matches(c *mapping.Case) bool {
	eq := func(want *string, got string) bool { return want == nil || *want == got }
	breach := ""
	if c.Complaint != nil {
		breach = c.Complaint.Breach
	}
	vulnerable := c.Consumer != nil && c.Consumer.Vulnerable != nil && *c.Consumer.Vulnerable
	return eq(at.Route, string(c.Route)) && eq(at.CaseTypeCode, c.CaseType.Code) &&
		eq(at.Breach, breach) && (at.Vulnerable == nil || *at.Vulnerable == vulnerable)
}

// workCalendar is the working week of an England and Wales council:
// Monday to Friday, bank holidays excluded.
var workCalendar = func() *cal.BusinessCalendar {
	c := cal.NewBusinessCalendar()
	c.AddHoliday(gb.Holidays...)
	return c
}()

// london is the time zone working days are counted in.
var london = func() *time.Location {
	loc, err := time.LoadLocation("Europe/London")
	if err != nil {
		panic("load Europe/London: " + err.Error())
	}
	return loc
}()

// dueDate is the date n working days after the day of from, in UK time:
// 1 is the next working day. The result is a date at 00:00 UTC.
func dueDate(from time.Time, n int) time.Time {
	l := from.In(london)
	// Midday keeps the day stable across a clock change.
	day := time.Date(l.Year(), l.Month(), l.Day(), 12, 0, 0, 0, london)
	due := workCalendar.WorkdaysFrom(day, n)
	return time.Date(due.Year(), due.Month(), due.Day(), 0, 0, 0, 0, time.UTC)
}

// actions are the first actions the templates give a case: parallel
// arrays of template ids, titles and due dates ("" for none).
type actions struct {
	templateIDs []int64
	titles      []string
	dues        []string
}

// actionsFor lists the actions the templates give case c, due in working
// days from the day it arrived. finishCase creates those the request does
// not already have open.
func (im *Import) actionsFor(c *mapping.Case) *actions {
	a := &actions{}
	for i := range im.templates {
		at := &im.templates[i]
		if !at.matches(c) {
			continue
		}
		due := ""
		if at.DueWorkingDays != nil {
			due = dueDate(im.now, *at.DueWorkingDays).Format(time.DateOnly)
		}
		a.templateIDs = append(a.templateIDs, at.ID)
		a.titles = append(a.titles, at.Title)
		a.dues = append(a.dues, due)
	}
	return a
}
