"""Signals in, alert changes out: bound what comes from outside, judge it by the rules and save the
changes in one transaction that also runs the pipeline's in-transaction stages (`transaction.py`); and
the supervised pollers that bring signals in. Imports rules/, pipeline/ (to its right), store/ and the
bottom layer; never sources/."""
