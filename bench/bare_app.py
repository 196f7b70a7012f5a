"""The first-paint baseline: a bare Textual app (Header + Input + Footer), nothing else."""

from textual.app import App, ComposeResult
from textual.widgets import Footer, Header, Input


class BareApp(App[None]):
    def compose(self) -> ComposeResult:
        yield Header()
        yield Input(placeholder="Bare baseline input")
        yield Footer()


if __name__ == "__main__":
    BareApp().run()
