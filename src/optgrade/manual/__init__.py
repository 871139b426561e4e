"""Written answers, graded by TAs: the questions in the master, the TAs' score sheet, and PDFs of
each submission's answers under their prompts.

- scores.py: the questions, the score sheet and the answers it is about;
- answer_pdf.py (fpdf2), markdown_blocks.py, latex_text.py: the PDFs and the text in them.
"""
