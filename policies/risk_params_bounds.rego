# A `risk_params` change in production must keep every field it changes within the bounds declared in
# policies/data.json (`risk_params_bounds: {field: [min, max]}`); a field without declared bounds is free.
package tempoctl

import rego.v1

bounds := object.get(data, "risk_params_bounds", {})

deny contains {"msg": msg, "address": c.address} if {
	input.environment.labels.production == true
	some c in input.plan.changes
	endswith(c.address, ".risk_params")
	some field, value in c.after
	[low, high] := bounds[field]
	not within(value, low, high)
	msg := concat("", ["production: ", split(c.address, ".")[0], ".", field, " would be ", show(value),
		", outside the declared bounds [", show(low), ", ", show(high), "]"])
}

# sprintf alone: regorus drops a space written right after a verb ("%v b" renders as "Xb").
show(x) := sprintf("%v", [x])

within(value, low, high) if {
	value >= low
	value <= high
}
