"""The Postcards REST API function (handler ``postcards.handler.lambda_handler``).

Importing any of its modules imports this package first, so this is where the function's own
initialisation starts: ``environment`` reports the time from here to the end of ``handler``'s init.
"""

import time

INIT_STARTED = time.perf_counter()
