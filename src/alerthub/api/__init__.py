"""The HTTP face: thin handlers over services/ (and the protocol and role gate they run in). Imports any
box, services/, store/ and the bottom layer; nothing imports it but `serving` and `cli`."""
