"""Host state: the transport that reaches a host, and the reads the hosts source makes through it."""
