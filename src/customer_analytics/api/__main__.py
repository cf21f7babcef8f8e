import sys

from customer_analytics.api.cli import main

sys.exit(main())
