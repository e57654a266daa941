package sandbox

// LocalRange is the tunnel's client port range, for the external tests.
var LocalRange = localRange
