"""The instructions of the three ToolHop scenarios and the feedback texts (knowbench's own wording).

The scenarios follow the ToolHop paper (Ye et al., 2025, arXiv:2501.02506, Sec. 4): *Direct* answers without tools,
*Mandatory* must solve every step with a tool and take the final answer from a tool, *Free* may use the tools.
Answers go inside ``<answer>...</answer>``.
"""

from __future__ import annotations

SCENARIOS = ("direct", "mandatory", "free")
FEEDBACKS = ("detailed", "minimal")

SYSTEM_PROMPTS = {
    "direct": (
        "Answer the user's question. You may reason briefly first. Put the final answer, and nothing else, "
        "between <answer> and </answer>, for example <answer>42</answer>."
    ),
    "mandatory": (
        "Solve the user's question step by step with the functions you are given. Every step must be done by "
        "calling a function: do not answer any step from memory, and take the final answer from a function's "
        "output. Call one function at a time and wait for its result. When the last function has given you the "
        "final answer, reply with it, and nothing else, between <answer> and </answer>."
    ),
    "free": (
        "Answer the user's question. You may call the functions you are given whenever they help, or answer "
        "directly. Put the final answer, and nothing else, between <answer> and </answer>."
    ),
}

#: sent in the Mandatory scenario when the model replies without having called any tool
MANDATORY_REMINDER = (
    "You have not called any function yet. In this task every step must be solved by calling one of the given "
    "functions; call the function for the first step now."
)

#: what the model sees after a failed call under ``--feedback minimal`` (the paper's bare failure notice)
MINIMAL_FEEDBACK = "Error: the function call failed."
