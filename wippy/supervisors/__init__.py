"""wippy.supervisors"""
