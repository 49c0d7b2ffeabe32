// No attention: nothing to compile.
func.func @nothing() {
  return
}
