Attribute VB_Name = "perf_excel_macros"
' perf_excel one-click macros: assign them to buttons (Developer > Insert > Button).
' Button captions may be Chinese; macro names stay ASCII (VBA source is stored in the ANSI code page).
Sub ScoreAndReport()
    RunPython "import perf_excel.macros; perf_excel.macros.score_and_report()"
End Sub

Sub Score()
    RunPython "import perf_excel.macros; perf_excel.macros.score()"
End Sub

Sub Report()
    RunPython "import perf_excel.macros; perf_excel.macros.report()"
End Sub
