# An oracle rotation (the new oracle granted its role and an old holder revoked in the same plan) must wait
# for a fresh signal signed by the new key before the old key's revoke: otherwise the vault can go without a
# live oracle between the revoke and the relay's first signal. Production only.
package tempoctl

import rego.v1

oracle := input.environment.oracle

role_of(c) := r if {
	r := c.after.role
} else := r if {
	r := c.before.role
}

oracle_role(c) if {
	contains(c.address, ".role.")
	split(c.address, ".role.")[0] == oracle.contract
	role_of(c) == oracle.role
}

rotation if {
	some c in input.plan.changes
	c.action == "create"
	oracle_role(c)
}

position(address) := i if {
	some i, c in input.plan.changes
	c.address == address
}

deny contains {"msg": msg, "address": c.address} if {
	input.environment.labels.production == true
	rotation
	some c in input.plan.changes
	c.action == "delete"
	oracle_role(c)
	problem := why_unsafe(c)
	msg := concat(" ", ["production: oracle rotation revokes", c.before.member, problem])
}

why_unsafe(c) := "without a fresh-signal wait in the plan" if {
	not position("oracle.fresh_signal")
} else := "without waiting for the fresh signal first (it does not depend on oracle.fresh_signal)" if {
	not "oracle.fresh_signal" in c.depends_on
} else := "before the fresh-signal wait" if {
	position("oracle.fresh_signal") > position(c.address)
}
