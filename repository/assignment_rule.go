package repository

import "cacsd/mapping"

// unassignedQueue holds the new requests no rule assigned.
const unassignedQueue = "unassigned"

// assignmentRule is a row of assignment_rule. A nil criterion matches
// anything.
type assignmentRule struct {
	ID             int64   `json:"id"`
	Route          *string `json:"route"`
	CaseTypeCode   *string `json:"case_type_code"`
	PostcodePrefix *string `json:"postcode_prefix"`
	CustodianCode  *string `json:"custodian_code"`
	OfficerID      *int64  `json:"officer_id"`
	Queue          *string `json:"queue"`
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
