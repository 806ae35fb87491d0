# In an environment labelled `production: true`, ADMIN and every role that administers another role (the
# contract's `role_admins`) may be granted only to a Safe: a plain key or keystore holding ADMIN is one
# leaked file away from every role of the contract.
package tempoctl

import rego.v1

production if input.environment.labels.production == true

admin_roles(contract) := {"ADMIN", "DEFAULT_ADMIN_ROLE"} | {r |
	some r in object.get(input.environment.contracts, [contract, "role_admins"], {})
}

kind(member) := k if {
	k := input.environment.addresses[lower(member)].kind
} else := "not a declared signer"

# A grant of an admin role to anything that is not a declared Safe signer.
deny contains {"msg": msg, "address": c.address} if {
	production
	some c in input.plan.changes
	c.action == "create"
	contains(c.address, ".role.")
	contract := split(c.address, ".role.")[0]
	c.after.role in admin_roles(contract)
	kind(c.after.member) != "safe"
	msg := concat("", ["production: ", c.after.role, " would be granted to ", c.after.member, " (",
		kind(c.after.member), "); admin roles go only to a Safe"])
}

# A role made the admin of another role while a declared member of it is not a Safe.
deny contains {"msg": msg, "address": c.address} if {
	production
	some c in input.plan.changes
	c.action in {"create", "update"}
	contains(c.address, ".role_admin.")
	contract := split(c.address, ".role_admin.")[0]
	some member in object.get(input.environment.contracts, [contract, "roles", c.after], [])
	kind(member) != "safe"
	msg := concat("", ["production: ", c.after, " would administer ", split(c.address, ".role_admin.")[1],
		", but its member ", member, " is ", kind(member), ", not a Safe"])
}
