"""Every workbook file we read or write: the package and its safety scan, the reader, the
sheets we write (results, write-back), the blank workbook."""
