"""Write the mart Great Expectations suites, expectations/marts/<mart>.json, from voc360.quality.MART_RULES.

    python expectations/generate_mart_suites.py

tests/test_quality.py fails when the files and the rules drift apart.
"""

from voc360.quality import write_mart_suites

if __name__ == "__main__":
    for path in write_mart_suites():
        print(path)
