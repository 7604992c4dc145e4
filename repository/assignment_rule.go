package repository

import (
	"context"
	"fmt"

	"github.com/jmoiron/sqlx"

	"cacsd/mapping"
)

// unassignedQueue holds the new requests no rule assigned.
const unassignedQueue = "unassigned"

// assignmentRule is a row of assignment_rule. A nil criterion matches
// anything.
type assignmentRule struct {
	ID             int64   `db:"id"`
	Route          *string `db:"route"`
	CaseTypeCode   *string `db:"case_type_code"`
	PostcodePrefix *string `db:"postcode_prefix"`
	CustodianCode  *string `db:"custodian_code"`
	OfficerID      *int64  `db:"officer_id"`
	Queue          *string `db:"queue"`
}

// A rule that names an officer who has left is skipped, so that the next
// rule (often a team queue) takes the request.
const loadRulesSQL = `
SELECT r.id, r.route, r.case_type_code, r.postcode_prefix, r.custodian_code,
    r.officer_id, r.queue
FROM assignment_rule r
LEFT JOIN officer o ON o.id = r.officer_id
WHERE r.active AND (r.officer_id IS NULL OR o.active)
ORDER BY r.priority, r.id`

// loadRules reads the active assignment rules in the order they are tried.
func loadRules(ctx context.Context, q sqlx.QueryerContext) ([]assignmentRule, error) {
	var rules []assignmentRule
	if err := sqlx.SelectContext(ctx, q, &rules, loadRulesSQL); err != nil {
		return nil, fmt.Errorf("load assignment rules: %w", err)
	}
	return rules, nil
}

// matches reports whether the rule applies to case c for authority
// custodian. The postcode is the consumer's, else the trader's.
func (ar *assignmentRule) matches(c *mapping.Case, custodian string) bool {
	eq := func(want *string, got string) bool { return want == nil || *want == got }
	if !eq(ar.Route, string(c.Route)) || !eq(ar.CaseTypeCode, c.CaseType.Code) ||
		!eq(ar.CustodianCode, custodian) {
		return false
	}
	return ar.PostcodePrefix == nil ||
		mapping.InPostcodeDistrict(casePostcode(c), *ar.PostcodePrefix)
}

// assign sets the officer and queue of a new request from the first rule
// that matches; with none, the request waits in the unassigned queue.
func assign(rules []assignmentRule, c *mapping.Case, r *request, log *auditLog) {
	r.AssignedQueue = unassignedQueue
	for i := range rules {
		ar := &rules[i]
		if !ar.matches(c, deref(r.CustodianCode)) {
			continue
		}
		r.AssignedOfficerID, r.AssignmentRuleID = ar.OfficerID, &ar.ID
		if ar.Queue != nil {
			r.AssignedQueue = *ar.Queue
		} else {
			r.AssignedQueue = "officer"
		}
		break
	}
	log.add(auditAssign, "service_request", 0, map[string]any{
		"rule_id": r.AssignmentRuleID, "officer_id": r.AssignedOfficerID,
		"queue": r.AssignedQueue,
	})
}

// casePostcode is the consumer's postcode, else the trader's, else "".
func casePostcode(c *mapping.Case) string {
	if p := c.Consumer; p != nil && p.Address != nil && p.Address.Postcode != "" {
		return p.Address.Postcode
	}
	if t := c.Trader; t != nil && t.Address != nil {
		return t.Address.Postcode
	}
	return ""
}
