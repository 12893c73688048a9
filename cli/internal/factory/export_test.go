package factory

// Nearest is nearest, for the external tests.
var Nearest = nearest
