"""Excel workbooks in the official layout: the consolidated results of a period
(:mod:`.consolidated`), a unit's scorecard (:mod:`.scorecard`) and its evidence register and zip
(:mod:`.register`). Writers are pure: they take plain data (:mod:`.model`) and write with
openpyxl's write-only mode (:mod:`.style`), user text always as text (:mod:`.safe`).
:mod:`scoring.exports` loads the data and runs them off the event loop."""
