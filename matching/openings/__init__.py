"""Employers (用人单位) and their openings (岗位): one shared pool for every agency."""
