"""Write the Great Expectations suites of the key marts and ML tables, expectations/<schema>/<table>.json,
from voc360.quality.TABLE_RULES.

    python expectations/generate_table_suites.py

tests/test_quality.py fails when the files and the rules drift apart.
"""

from voc360.quality import write_table_suites

if __name__ == "__main__":
    for path in write_table_suites():
        print(path)
