"""Excel workbooks in the official layout: the consolidated results of a period
(:mod:`.consolidated`), a unit's scorecard (:mod:`.scorecard`), its evidence register and zip
(:mod:`.register`) and the progress of the self-assessment (:mod:`.progress`). Writers are pure:
they take plain data (:mod:`.model`) and write through :mod:`core.xlsx` (XlsxWriter, user text
always as text, every formula with its cached result). :mod:`scoring.exports` loads the data and
runs them off the event loop."""
