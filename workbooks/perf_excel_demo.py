"""What the buttons of perf_excel_demo.xlsm run (xlwings quickstart layout).

SampleCall (Alt+F8) runs main(); the macros of perf_excel_macros.bas run the others.
"""

from perf_excel import macros


def main() -> None:
    """计算结果并生成通报."""
    macros.score_and_report()


def score() -> None:
    """计算结果: 结果 and 计分明细 sheets."""
    macros.score()


def report() -> None:
    """生成通报 next to the workbook."""
    macros.report()


if __name__ == "__main__":
    import xlwings as xw

    xw.Book("perf_excel_demo.xlsm").set_mock_caller()
    main()
