"""python -m customer_analytics.generator"""

import sys

from .cli import main

sys.exit(main())
