"""Code shared by every Postcards function.

build.sh copies this package into each function's zip (next to the function's own package), so a
function ships exactly the shared code it was tested with and a change here redeploys every function
without a new layer version. Third-party libraries live in the layer, not here.
"""
