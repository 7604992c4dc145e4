package repository

import (
	"context"
	"fmt"
	"time"

	"github.com/lib/pq"
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

// The partial unique index lets an update add only the actions the
// request does not already have open.
const insertActionsSQL = `
INSERT INTO action (service_request_id, action_template_id, title, due_date, import_file_id)
SELECT $1, u.template_id, u.title, NULLIF(u.due, '')::date, $5
FROM unnest($2::bigint[], $3::text[], $4::text[]) AS u(template_id, title, due)
ON CONFLICT (service_request_id, action_template_id) WHERE status = 'open' DO NOTHING
RETURNING id, action_template_id`

// addActions creates the first actions the templates give case c, due in
// working days from the day it arrived, without a second open action of
// any template.
func (im *Import) addActions(ctx context.Context, id int64, c *mapping.Case,
	log *auditLog) error {
	var ids []int64
	var titles, dues []string
	for i := range im.templates {
		at := &im.templates[i]
		if !at.matches(c) {
			continue
		}
		due := ""
		if at.DueWorkingDays != nil {
			due = dueDate(im.now, *at.DueWorkingDays).Format(time.DateOnly)
		}
		ids, titles, dues = append(ids, at.ID), append(titles, at.Title), append(dues, due)
	}
	if len(ids) == 0 {
		return nil
	}

	var made []struct {
		ID         int64 `db:"id"`
		TemplateID int64 `db:"action_template_id"`
	}
	err := im.tx.SelectContext(ctx, &made, insertActionsSQL, id, pq.Array(ids),
		pq.Array(titles), pq.Array(dues), im.fileID)
	if err != nil {
		return fmt.Errorf("insert actions: %w", err)
	}
	for _, m := range made {
		log.add(auditAction, "action", m.ID, map[string]any{"template_id": m.TemplateID})
	}
	return nil
}
