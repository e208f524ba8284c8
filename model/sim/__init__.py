"""Layer sim: the fiscal-year simulation of the whole network with simpy.  `engine` assembles a run
and owns the clock; residents, network traffic (`messages`, `traffic`), cards (`card`,
`cardholders`), the provision desk, and the access log (`accesslog`, `hashchain`) are its parts;
`records` and `writers` write what a run records as Parquet.

Imports: core, data, law, world, config, queueing.
"""
