"""Resource addresses (DESIGN §4) that the ordering and safety rules need to take apart."""

from __future__ import annotations

import re

ROLE_MEMBER = re.compile(r"^(?P<contract>[^.]+)\.role\.(?P<role>[^\[]+)\[(?P<member>[^\]]+)\]$")
ROLE_SET = re.compile(r"^(?P<contract>[^.]+)\.role\.(?P<role>[^\[]+)$")
ROLE_ADMIN = re.compile(r"^(?P<contract>[^.]+)\.role_admin\.(?P<role>.+)$")
