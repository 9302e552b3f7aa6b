"""Fast checks of the demo site's sources: the gate runs these before every build."""

import re
import unittest
from pathlib import Path

SRC = Path(__file__).resolve().parent.parent / "src"


class SiteSources(unittest.TestCase):
    def test_home_page_names_the_demo(self):
        self.assertIn("deploylib demo", (SRC / "index.html").read_text())

    def test_every_local_reference_has_a_source(self):
        built_from = {"css/site.min.css": "css/site.css", "js/app.min.js": "js/app.js"}
        for page in SRC.glob("*.html"):
            for ref in re.findall(r'(?:href|src)="([^":#]+)"', page.read_text()):
                with self.subTest(page=page.name, ref=ref):
                    self.assertTrue((SRC / built_from.get(ref, ref)).exists(), f"{page.name} links {ref}")


if __name__ == "__main__":
    unittest.main()
