# At most `max_revocations_per_plan` (policies/data.json) role memberships revoked in one plan: a plan that
# revokes half the holders at once is more often a mistaken YAML edit than an intent. Denied in production,
# a warning elsewhere.
package tempoctl

import rego.v1

limit := object.get(data, "max_revocations_per_plan", 3)

revocations contains c.address if {
	some c in input.plan.changes
	c.action == "delete"
	contains(c.address, ".role.")
}

too_many if count(revocations) > limit

message := concat("", [format_int(count(revocations), 10), " role revocations in one plan (at most ",
	format_int(limit, 10), "): ", concat(", ", sort(revocations))])

deny contains msg if {
	too_many
	input.environment.labels.production == true
	msg := concat("", ["production: ", message])
}

warn contains message if {
	too_many
	not input.environment.labels.production == true
}
