"""Layer audit: checks of a finished run: the access log's hash chain and what each record says
(`checks`, against the law and the flow model), and the disclosure to a resident of the
provisions of their information (`disclose`, Art. 30-37; C12).

Imports: core, data, law, world, config, sim (its record formats and hash chain).
"""
