"""One OpenAI request and its answer, and facts about models.

``messages`` (text and image parts), ``request`` (canonical requests, their hash, both APIs'
bodies), ``response`` (one normalised answer for every endpoint), ``tools`` (function tools
and the calls a model makes), ``strict`` (the strict structured-output rules), ``tokens``
(counting before sending), ``pricing`` and ``pinning`` (model facts). Above ``io``; knows
nothing of suites, runs or fronts.
"""
