"""`python -m checker faq`: the classic questions of TCP connection
management (why three messages to open, four to close, TIME-WAIT, fresh
ISNs, simultaneous open and close, RST, ISN+1), each answered by running
the model on every run: a check of `verify` on a shipped variant that
breaks it (with its counterexample ladder) and on the RFC 9293 table that
keeps it, plus ladders of the legal behaviour drawn by `explain`, and one
paragraph citing RFC 9293. Nothing in an answer is a stored verdict: the
prose comes from `messages` (English and Chinese), every figure, state,
segment and verdict in it from the run.

- `questions.py` what each question runs (variant, check, options, ladders);
- `answer.py` running a question and the answer as text or JSON;
- `pictures.py` the answer's ladders as sequence diagrams (SVG, Mermaid);
- `resets.py` what a RST does in each state, computed by the table;
- `messages.py` the catalogue of the prose, one dict per language.
"""
