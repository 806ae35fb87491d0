# In production, a Soroban contract's ID (and the deployment descriptor naming it) may change only when the
# contract declares a `release:` pin (the release's SHA256SUMS the new wasm is checked against).
package tempoctl

import rego.v1

contract_of(address) := split(address, ".")[0]

id_change(c) if {
	endswith(c.address, ".contract_id")
	c.action == "update"
}

id_change(c) if {
	endswith(c.address, ".descriptor")
	c.action == "update"
	c.before.contract_id != c.after.contract_id
}

deny contains {"msg": msg, "address": c.address} if {
	input.environment.labels.production == true
	some c in input.plan.changes
	id_change(c)
	name := contract_of(c.address)
	not pinned(name)
	msg := concat("", ["production: contract ", name, " changes its contract ID without a `release:` pin"])
}

# `release` is null when not declared: `not null` is false in Rego, so the pin is tested positively.
pinned(name) if {
	release := input.environment.contracts[name].release
	is_string(release)
	release != ""
}
