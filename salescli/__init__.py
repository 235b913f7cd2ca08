"""salescli: a sales pipeline tool for the terminal."""

import decimal as _decimal

__version__ = "0.1.0"

# Money is Decimal throughout. The default 28 significant digits cannot hold the largest amount salescli accepts
# (10^13) converted at the largest rate to the base currency's minor units: quantize() would raise. 60 digits
# hold any product of two accepted values exactly (threads started later copy DefaultContext).
_decimal.DefaultContext.prec = 60
_decimal.getcontext().prec = 60
