SELECT name, state, COUNT(*) AS tasks
FROM tasks
GROUP BY state, name
ORDER BY name, state
