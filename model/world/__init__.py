"""Layer world: the Japan the network runs in, built from the configuration: the fiscal calendar,
prefectures and municipalities with their populations, the network graph (CS, prefecture servers,
the center, bodies, links), the provision workload, and the center's capacity.

Imports: core, data, law.
"""
